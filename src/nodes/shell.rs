//! The simulated shell a container's process runs: its `command` + `args`
//! (`sh -c "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"`),
//! parsed once into a small program, then run as a state machine the
//! kubelet drives with its timers: each `sleep` is one timer, and the
//! script runs on from where it stopped when the timer fires.
//!
//! The subset (README "The simulated shell"): sequences (`;`, newlines,
//! `&&`, `||`, `!`), `while`/`until … do … done`, `if … then … elif … else
//! … fi`, `{ …; }`, `( … )` and `sh -c "…"`, and the commands `sleep`,
//! `exit`, `true`, `false`, `:`, `touch`, `rm`, `mkdir`, `echo`, `cat`,
//! `ls`, `test`/`[`, `date`, `hostname`, `env`/`printenv`, `trap '…' TERM`
//! and `exec`, with `>`, `>>` and `2>` redirections. Anything else (`$`
//! expansions, pipes, background jobs, other programs) does not parse: the
//! scenario loader warns once and the container runs its image's behaviour.
//!
//! Exec probes, preStop exec hooks and `kubectl exec` run in the same shell
//! (`process::exec`, parsed by `parse_exec`), to their end at once.
//!
//! Signals: the shell is PID 1, which the kernel gives no default action
//! for SIGTERM, so without a `trap` SIGTERM does nothing and the kill ends
//! in SIGKILL (137). With `trap '…' TERM` the handler runs once the
//! foreground command ends (POSIX "Signals": a trap waits for the
//! foreground utility), so a `sleep 1` loop answers within a second and a
//! `sleep 600` not before SIGKILL.

#![warn(missing_docs)]

use crate::sim::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Instructions a script runs without sleeping before it counts as
/// spinning (a loop whose `sleep` is never reached).
const SPIN_LIMIT: u32 = 10_000;

/// A parsed script.
#[derive(Debug, PartialEq)]
pub struct Program {
    code: Vec<Instr>,
}

#[derive(Debug, PartialEq)]
enum Instr {
    /// A command that runs at once; its exit status becomes `$?`.
    Run(Builtin, Redirect),
    /// `sleep`: `None` is `sleep infinity`.
    Sleep(Option<SimDuration>),
    /// `exit [n]` (`None`: with `$?`).
    Exit(Option<i32>),
    Jump(usize),
    JumpIfOk(usize),
    JumpIfFail(usize),
    /// `!`: negates `$?`.
    Not,
    /// Sets `$?`.
    Status(i32),
    /// `trap 'body' TERM` (`None`: `trap '' TERM` or `trap - TERM`).
    Trap(Option<Rc<Program>>),
    /// `sh -c "…"` or `( … )`: a subshell (its `exit` ends only it).
    Call(Rc<Program>),
}

#[derive(Debug, PartialEq)]
enum Builtin {
    True,
    False,
    Touch(Vec<String>),
    Rm {
        force: bool,
        paths: Vec<String>,
    },
    Mkdir(Vec<String>),
    Echo(String),
    Cat(Vec<String>),
    Ls(Vec<String>),
    Test {
        negate: bool,
        path: String,
    },
    Date {
        epoch_seconds: bool,
    },
    Hostname,
    Env,
    /// A command that fails at once with this message on its standard
    /// error (`sleep abc` in an exec, see `parse_exec`).
    Fail {
        code: i32,
        message: String,
    },
}

/// Where a command's standard output and error go.
#[derive(Debug, Default, PartialEq)]
struct Redirect {
    out: Target,
    err: Target,
}

#[derive(Debug, Default, PartialEq)]
enum Target {
    /// The container log (`kubectl logs`).
    #[default]
    Log,
    Null,
    File(String),
}

/// What a script does next, when it stops running for now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Yield {
    /// It sleeps this long (one timer).
    Sleep(SimDuration),
    /// It exits with this code: the container's process ends.
    Exit(i32),
    /// `sleep infinity`: it runs until killed.
    Forever,
    /// It ran `SPIN_LIMIT` commands without sleeping: kubesim stops
    /// interpreting it (the process runs on, doing nothing observable).
    Spin,
}

/// The container's side of a script: its files and what it writes.
pub struct Host<'a> {
    /// The container's files (exec probes read them).
    pub files: &'a mut BTreeSet<String>,
    /// The present.
    pub now: SimTime,
    /// Lines written to the container log, with their times (only when
    /// `keep_output`).
    pub out: Vec<(SimTime, String)>,
    /// Whether log lines are kept at all (nobody reads them otherwise).
    pub keep_output: bool,
    /// The script changed the files.
    pub changed: bool,
    /// The variables Kubernetes gave the container (its `env` and the
    /// service variables), which `env` prints; empty where the caller
    /// does not compute them (probes, hooks and the main script: see
    /// `process::exec`).
    pub env: &'a [(String, String)],
}

impl<'a> Host<'a> {
    /// A host over `files` at `now`.
    pub fn new(files: &'a mut BTreeSet<String>, now: SimTime, keep_output: bool) -> Self {
        Host { files, now, out: Vec::new(), keep_output, changed: false, env: &[] }
    }
}

/// What `env` prints in a container: the runtime's `PATH` and
/// `HOSTNAME`, the variables Kubernetes gave it, the image's `HOME` (the
/// order a container runtime gives them, as `kubectl exec POD -- env`
/// shows on a real cluster); a variable of the container replaces the
/// image's of the same name.
fn environment(hostname: &str, env: &[(String, String)]) -> String {
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut out =
        format!("PATH={}\n", get("PATH").unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    out.push_str(&format!("HOSTNAME={}\n", hostname));
    for (k, v) in env.iter().filter(|(k, _)| !matches!(k.as_str(), "PATH" | "HOSTNAME" | "HOME")) {
        out.push_str(&format!("{}={}\n", k, v));
    }
    out.push_str(&format!("HOME={}", get("HOME").unwrap_or("/root")));
    out
}

/// One running script: where it is, `$?`, its SIGTERM trap.
#[derive(Clone, Debug)]
pub struct Run {
    /// (program, next instruction, is a subshell) from the outermost.
    frames: Vec<(Rc<Program>, usize, bool)>,
    status: i32,
    trap: Option<Rc<Program>>,
    /// Contents the script wrote (`echo … > file`), for its own `cat`.
    contents: BTreeMap<String, String>,
    hostname: Rc<str>,
    /// When the current `sleep` ends (`None`: not sleeping, or forever).
    pub wake_at: Option<SimTime>,
}

impl Run {
    /// A fresh run of `program` in a container whose hostname is the
    /// pod's name.
    pub fn new(program: Rc<Program>, hostname: Rc<str>) -> Self {
        Run {
            frames: vec![(program, 0, true)],
            status: 0,
            trap: None,
            contents: BTreeMap::new(),
            hostname,
            wake_at: None,
        }
    }

    /// Runs until the script sleeps or exits.
    pub fn resume(&mut self, h: &mut Host) -> Yield {
        self.wake_at = None;
        let mut budget = SPIN_LIMIT;
        loop {
            let Some((prog, pc, _)) = self.frames.last_mut() else { return Yield::Exit(self.status) };
            if *pc >= prog.code.len() {
                self.frames.pop();
                continue;
            }
            budget -= 1;
            if budget == 0 {
                return Yield::Spin;
            }
            let prog = prog.clone();
            let at = *pc;
            *pc += 1;
            match &prog.code[at] {
                Instr::Run(b, r) => self.status = self.builtin(b, r, h),
                Instr::Sleep(None) => return Yield::Forever,
                Instr::Sleep(Some(d)) => {
                    self.status = 0;
                    if *d > SimDuration::ZERO {
                        self.wake_at = Some(h.now + *d);
                        return Yield::Sleep(*d);
                    }
                }
                Instr::Exit(code) => {
                    let code = code.unwrap_or(self.status);
                    self.status = code;
                    // Up to and including the innermost subshell.
                    while let Some((_, _, sub)) = self.frames.pop() {
                        if sub {
                            break;
                        }
                    }
                    if self.frames.is_empty() {
                        return Yield::Exit(code);
                    }
                }
                Instr::Jump(t) => self.jump(*t),
                Instr::JumpIfOk(t) if self.status == 0 => self.jump(*t),
                Instr::JumpIfFail(t) if self.status != 0 => self.jump(*t),
                Instr::JumpIfOk(_) | Instr::JumpIfFail(_) => {}
                Instr::Not => self.status = (self.status == 0) as i32,
                Instr::Status(s) => self.status = *s,
                Instr::Trap(body) => {
                    self.trap = body.clone();
                    self.status = 0;
                }
                Instr::Call(p) => self.frames.push((p.clone(), 0, true)),
            }
        }
    }

    fn jump(&mut self, target: usize) {
        if let Some(f) = self.frames.last_mut() {
            f.1 = target;
        }
    }

    /// SIGTERM arrives at `at`; SIGKILL would come at `kill_at`. Without a
    /// trap PID 1 ignores it (`None`: the kill ends in SIGKILL). With one,
    /// the handler runs when the foreground `sleep` ends, then the script
    /// goes on; `Some((when, code))` if it exits before `kill_at`. Runs on
    /// a copy: the process is being killed, nothing else observes it.
    pub fn sigterm(&self, at: SimTime, kill_at: SimTime, h: &mut Host) -> Option<(SimTime, i32)> {
        let body = self.trap.clone()?;
        // `sleep infinity` in the foreground: the handler never runs.
        let mut t = self.wake_at?.max(at);
        let mut run = self.clone();
        run.frames.push((body, 0, false));
        loop {
            if t >= kill_at {
                return None;
            }
            h.now = t;
            match run.resume(h) {
                Yield::Exit(code) => return Some((t, code)),
                Yield::Sleep(d) => t += d,
                Yield::Forever | Yield::Spin => return None,
            }
        }
    }

    fn builtin(&mut self, b: &Builtin, r: &Redirect, h: &mut Host) -> i32 {
        let (code, out, err) = match b {
            Builtin::True => (0, None, None),
            Builtin::False => (1, None, None),
            Builtin::Touch(paths) => {
                for p in paths {
                    h.changed |= h.files.insert(p.clone());
                }
                (0, None, None)
            }
            Builtin::Mkdir(paths) => {
                for p in paths {
                    h.changed |= h.files.insert(p.clone());
                }
                (0, None, None)
            }
            Builtin::Rm { force, paths } => {
                let mut missing = None;
                for p in paths {
                    self.contents.remove(p);
                    if h.files.remove(p) {
                        h.changed = true;
                    } else if missing.is_none() {
                        missing = Some(p);
                    }
                }
                match missing {
                    Some(p) if !force => {
                        (1, None, Some(format!("rm: cannot remove '{}': No such file or directory", p)))
                    }
                    _ => (0, None, None),
                }
            }
            Builtin::Echo(text) => (0, Some(text.clone()), None),
            Builtin::Cat(paths) => match paths.iter().find(|p| !h.files.contains(*p)) {
                Some(p) => (1, None, Some(format!("cat: {}: No such file or directory", p))),
                None => {
                    let text: Vec<&str> =
                        paths.iter().filter_map(|p| self.contents.get(p).map(String::as_str)).collect();
                    (0, (!text.is_empty()).then(|| text.join("\n")), None)
                }
            },
            Builtin::Ls(paths) => match paths.iter().find(|p| !h.files.contains(*p)) {
                Some(p) => (2, None, Some(format!("ls: cannot access '{}': No such file or directory", p))),
                None => (0, (!paths.is_empty()).then(|| paths.join("\n")), None),
            },
            Builtin::Test { negate, path } => ((h.files.contains(path) == *negate) as i32, None, None),
            Builtin::Date { epoch_seconds: true } => (0, Some((h.now.0 / 1_000_000_000).to_string()), None),
            Builtin::Date { epoch_seconds: false } => (0, Some(date(h.now)), None),
            Builtin::Hostname => (0, Some(self.hostname.to_string()), None),
            Builtin::Env => (0, Some(environment(&self.hostname, h.env)), None),
            Builtin::Fail { code, message } => (*code, None, Some(message.clone())),
        };
        for (text, target) in [(out, &r.out), (err, &r.err)] {
            let Some(text) = text else { continue };
            match target {
                Target::Null => {}
                Target::Log => {
                    if h.keep_output {
                        h.out.extend(text.split('\n').map(|l| (h.now, l.to_string())));
                    }
                }
                Target::File(p) => {
                    h.changed |= h.files.insert(p.clone());
                    let c = self.contents.entry(p.clone()).or_default();
                    if !c.is_empty() {
                        c.push('\n');
                    }
                    c.push_str(&text);
                }
            }
        }
        code
    }
}

/// `date`'s default output (`Thu Jan  1 00:00:05 UTC 1970`): virtual time
/// counts from the Unix epoch.
pub fn date(now: SimTime) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let rem = now.0 / 1_000_000_000 % 86_400;
    let (year, month, day, weekday) = crate::sim::time::civil_date(now);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} UTC {}",
        DAYS[weekday as usize],
        MONTHS[(month - 1) as usize],
        day,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        year
    )
}

/// A container's process as a command line: `command` + `args` after the
/// image's defaults (`ENTRYPOINT`/`CMD`) as Kubernetes combines them
/// (define-command-argument-container): a `command` replaces the image's
/// entrypoint and drops its args; `args` alone replace the image's args.
pub fn argv(command: &[String], args: &[String], image_command: &[String], image_args: &[String]) -> Vec<String> {
    match (command.is_empty(), args.is_empty()) {
        (false, _) => command.iter().chain(args).cloned().collect(),
        (true, false) => image_command.iter().chain(args).cloned().collect(),
        (true, true) => image_command.iter().chain(image_args).cloned().collect(),
    }
}

/// Parses a container's command line into a program, or says why the
/// simulated shell cannot run it.
pub fn parse_argv(argv: &[String]) -> Result<Program, String> {
    parse_command(argv, false)
}

/// Parses a command run in a running container (an exec probe, a preStop
/// exec hook, `kubectl exec`). As `parse_argv`, except that a command whose
/// operands are invalid runs and fails as the real one does rather than
/// not parsing: `sleep abc` prints `sleep: invalid time interval 'abc'`
/// and exits 1; `exit abc` exits 2 (dash's "Illegal number" is fatal). A
/// container's own command still does not parse then, so the loader warns
/// and the container runs its image's behaviour.
pub fn parse_exec(argv: &[String]) -> Result<Program, String> {
    parse_command(argv, true)
}

fn parse_command(argv: &[String], lenient: bool) -> Result<Program, String> {
    if argv.is_empty() {
        return Err("the command is empty".into());
    }
    let mut p = Parser { toks: Vec::new(), i: 0, code: Vec::new(), lenient };
    p.simple(argv.to_vec(), Redirect::default())?;
    Ok(Program { code: p.code })
}

fn parse_script_in(text: &str, lenient: bool) -> Result<Program, String> {
    let mut p = Parser { toks: lex(text)?, i: 0, code: Vec::new(), lenient };
    p.list(&[])?;
    if let Some(t) = p.toks.get(p.i) {
        return Err(format!("syntax error near `{}`", t.text()));
    }
    Ok(Program { code: p.code })
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// A word; `true` when any of it was quoted (then never a keyword).
    Word(String, bool),
    Op(&'static str),
}

impl Tok {
    fn text(&self) -> &str {
        match self {
            Tok::Word(w, _) => w,
            Tok::Op(o) => o,
        }
    }
}

#[allow(unused_assignments)] // the last `flush!` resets state nobody reads
fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut word = String::new();
    let (mut in_word, mut quoted) = (false, false);
    let mut cs = s.chars().peekable();
    macro_rules! flush {
        () => {
            if in_word {
                toks.push(Tok::Word(std::mem::take(&mut word), quoted));
                in_word = false;
                quoted = false;
            }
        };
    }
    while let Some(c) = cs.next() {
        match c {
            ' ' | '\t' => flush!(),
            '\n' => {
                flush!();
                toks.push(Tok::Op("\n"));
            }
            '#' if !in_word => {
                while cs.peek().is_some_and(|c| *c != '\n') {
                    cs.next();
                }
            }
            '\'' => {
                in_word = true;
                quoted = true;
                loop {
                    match cs.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                quoted = true;
                loop {
                    match cs.next() {
                        Some('"') => break,
                        Some('\\') => match cs.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some('$' | '`') => {
                            return Err("variables and command substitution ($, `) are not supported".into())
                        }
                        Some(c) => word.push(c),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match cs.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => {}
                }
            }
            '$' | '`' => return Err("variables and command substitution ($, `) are not supported".into()),
            '<' => return Err("input redirection (<) is not supported".into()),
            ';' | '&' | '|' | '(' | ')' | '>' => {
                // `2>`, `2>&1`, `>&2`: the fd number is part of the operator.
                let fd2 = c == '>' && in_word && !quoted && word == "2";
                if fd2 {
                    word.clear();
                    in_word = false;
                } else {
                    flush!();
                }
                let mut two = |next: char| cs.next_if_eq(&next).is_some();
                let op = match c {
                    ';' => ";",
                    '&' if two('&') => "&&",
                    '&' => "&",
                    '|' if two('|') => "||",
                    '|' => "|",
                    '(' => "(",
                    ')' => ")",
                    _ if fd2 => {
                        if two('&') {
                            match cs.next() {
                                Some('1') => "2>&1",
                                _ => return Err("unsupported redirection".into()),
                            }
                        } else {
                            "2>"
                        }
                    }
                    _ if two('>') => ">>",
                    _ if two('&') => match cs.next() {
                        Some('2') => ">&2",
                        _ => return Err("unsupported redirection".into()),
                    },
                    _ => ">",
                };
                toks.push(Tok::Op(op));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush!();
    Ok(toks)
}

struct Parser {
    toks: Vec<Tok>,
    i: usize,
    code: Vec<Instr>,
    /// Invalid operands fail at run time (`parse_exec`).
    lenient: bool,
}

const KEYWORDS: [&str; 12] = ["do", "done", "then", "elif", "else", "fi", "}", "while", "until", "if", "{", "!"];

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    fn peek_keyword(&self) -> Option<&'static str> {
        match self.peek() {
            Some(Tok::Word(w, false)) => KEYWORDS.iter().find(|k| **k == w.as_str()).copied(),
            _ => None,
        }
    }

    fn expect_keyword(&mut self, k: &str) -> Result<(), String> {
        if self.peek_keyword() == Some(k) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected `{}`{}", k, self.peek().map(|t| format!(" near `{}`", t.text())).unwrap_or_default()))
        }
    }

    fn skip_newlines(&mut self) {
        while self.peek() == Some(&Tok::Op("\n")) {
            self.i += 1;
        }
    }

    fn emit(&mut self, i: Instr) -> usize {
        self.code.push(i);
        self.code.len() - 1
    }

    fn patch(&mut self, at: usize) {
        let target = self.code.len();
        match &mut self.code[at] {
            Instr::Jump(t) | Instr::JumpIfOk(t) | Instr::JumpIfFail(t) => *t = target,
            _ => unreachable!("only jumps are patched"),
        }
    }

    /// Commands separated by `;` or newlines, up to one of `terms` (a
    /// keyword in command position), `)` or the end.
    fn list(&mut self, terms: &[&str]) -> Result<(), String> {
        loop {
            while matches!(self.peek(), Some(Tok::Op(";" | "\n"))) {
                self.i += 1;
            }
            match self.peek() {
                None | Some(Tok::Op(")")) => return Ok(()),
                _ if self.peek_keyword().is_some_and(|k| terms.contains(&k)) => return Ok(()),
                _ => {}
            }
            self.and_or()?;
            match self.peek() {
                None | Some(Tok::Op(";" | "\n" | ")")) => {}
                Some(Tok::Op("&")) => return Err("background jobs (&) are not supported".into()),
                _ if self.peek_keyword().is_some_and(|k| terms.contains(&k)) => {}
                Some(t) => return Err(format!("syntax error near `{}`", t.text())),
            }
        }
    }

    fn and_or(&mut self) -> Result<(), String> {
        self.pipeline()?;
        while let Some(Tok::Op(op @ ("&&" | "||"))) = self.peek() {
            let or = *op == "||";
            self.i += 1;
            self.skip_newlines();
            let j = self.emit(if or { Instr::JumpIfOk(0) } else { Instr::JumpIfFail(0) });
            self.pipeline()?;
            self.patch(j);
        }
        Ok(())
    }

    fn pipeline(&mut self) -> Result<(), String> {
        let negate = self.peek_keyword() == Some("!");
        if negate {
            self.i += 1;
        }
        self.command()?;
        if self.peek() == Some(&Tok::Op("|")) {
            return Err("pipes (|) are not supported".into());
        }
        if negate {
            self.emit(Instr::Not);
        }
        Ok(())
    }

    fn command(&mut self) -> Result<(), String> {
        match self.peek_keyword() {
            Some(k @ ("while" | "until")) => {
                let until = k == "until";
                self.i += 1;
                let top = self.code.len();
                self.list(&["do"])?;
                self.expect_keyword("do")?;
                let exit = self.emit(if until { Instr::JumpIfOk(0) } else { Instr::JumpIfFail(0) });
                self.list(&["done"])?;
                self.expect_keyword("done")?;
                self.emit(Instr::Jump(top));
                self.patch(exit);
                self.emit(Instr::Status(0));
                if !sleeps(&self.code[top..]) {
                    return Err(format!("a `{}` loop without `sleep` would spin forever", k));
                }
                Ok(())
            }
            Some("if") => {
                self.i += 1;
                let mut ends = Vec::new();
                loop {
                    self.list(&["then"])?;
                    self.expect_keyword("then")?;
                    let next = self.emit(Instr::JumpIfFail(0));
                    self.list(&["elif", "else", "fi"])?;
                    ends.push(self.emit(Instr::Jump(0)));
                    self.patch(next);
                    match self.peek_keyword() {
                        Some("elif") => self.i += 1,
                        Some("else") => {
                            self.i += 1;
                            self.list(&["fi"])?;
                            break;
                        }
                        _ => {
                            self.emit(Instr::Status(0));
                            break;
                        }
                    }
                }
                self.expect_keyword("fi")?;
                for e in ends {
                    self.patch(e);
                }
                Ok(())
            }
            Some("{") => {
                self.i += 1;
                self.list(&["}"])?;
                self.expect_keyword("}")
            }
            Some(k @ ("do" | "done" | "then" | "elif" | "else" | "fi" | "}" | "!")) => {
                Err(format!("syntax error near `{}`", k))
            }
            _ if self.peek() == Some(&Tok::Op("(")) => {
                self.i += 1;
                let outer = std::mem::take(&mut self.code);
                self.list(&[])?;
                if self.peek() != Some(&Tok::Op(")")) {
                    return Err("expected `)`".into());
                }
                self.i += 1;
                let inner = std::mem::replace(&mut self.code, outer);
                self.emit(Instr::Call(Rc::new(Program { code: inner })));
                Ok(())
            }
            _ => {
                let mut words = Vec::new();
                let mut r = Redirect::default();
                loop {
                    match self.peek().cloned() {
                        Some(Tok::Word(w, _)) => {
                            words.push(w);
                            self.i += 1;
                        }
                        Some(Tok::Op(op @ (">" | ">>" | "2>"))) => {
                            self.i += 1;
                            let Some(Tok::Word(path, _)) = self.peek().cloned() else {
                                return Err(format!("`{}` needs a file", op));
                            };
                            self.i += 1;
                            let t = if path == "/dev/null" { Target::Null } else { Target::File(path) };
                            if op == "2>" {
                                r.err = t;
                            } else {
                                r.out = t;
                            }
                        }
                        Some(Tok::Op("2>&1")) => {
                            self.i += 1;
                            r.err = match &r.out {
                                Target::Log => Target::Log,
                                Target::Null => Target::Null,
                                Target::File(p) => Target::File(p.clone()),
                            };
                        }
                        Some(Tok::Op(">&2")) => self.i += 1,
                        _ => break,
                    }
                }
                if words.is_empty() {
                    return Err(match self.peek() {
                        Some(t) => format!("syntax error near `{}`", t.text()),
                        None => "syntax error: unexpected end".into(),
                    });
                }
                self.simple(words, r)
            }
        }
    }

    /// One simple command (already split into words).
    fn simple(&mut self, words: Vec<String>, r: Redirect) -> Result<(), String> {
        let name = command_name(&words[0]);
        let args = &words[1..];
        let paths = |args: &[String]| -> Vec<String> { args.iter().filter(|a| !a.starts_with('-')).cloned().collect() };
        let b = match name {
            "sh" | "bash" | "ash" | "dash" => {
                return match args {
                    [c, script, ..] if c == "-c" => {
                        let p = parse_script_in(script, self.lenient)
                            .map_err(|e| format!("in `{} -c`: {}", words[0], e))?;
                        self.emit(Instr::Call(Rc::new(p)));
                        Ok(())
                    }
                    _ => Err(format!(
                        "`{}` without -c reads commands from its input, which kubesim does not model",
                        words[0]
                    )),
                };
            }
            "exec" if !args.is_empty() => {
                // The command replaces the shell: the process ends with it.
                self.simple(args.to_vec(), r)?;
                self.emit(Instr::Exit(None));
                return Ok(());
            }
            "exit" => {
                let code = match args {
                    [] => None,
                    [n] => match n.parse::<i64>() {
                        Ok(n) => Some(n.rem_euclid(256) as i32),
                        Err(_) if self.lenient => Some(2),
                        Err(_) => return Err(format!("exit: illegal number: {}", n)),
                    },
                    _ => return Err("exit: too many arguments".into()),
                };
                self.emit(Instr::Exit(code));
                return Ok(());
            }
            "sleep" => {
                match sleep_duration(args) {
                    Ok(d) => self.emit(Instr::Sleep(d)),
                    Err(message) if self.lenient => self.emit(Instr::Run(Builtin::Fail { code: 1, message }, r)),
                    Err(e) => return Err(e),
                };
                return Ok(());
            }
            "trap" => {
                let [action, signals @ ..] = args else { return Err("trap: expected an action and signals".into()) };
                let term = signals.iter().any(|s| matches!(s.as_str(), "TERM" | "SIGTERM" | "15"));
                if signals.is_empty() || !term {
                    return Err("trap: only TERM (SIGTERM) is modelled".into());
                }
                let body = match action.as_str() {
                    "" | "-" => None,
                    text => {
                        Some(Rc::new(parse_script_in(text, self.lenient).map_err(|e| format!("in the trap: {}", e))?))
                    }
                };
                self.emit(Instr::Trap(body));
                return Ok(());
            }
            "true" | ":" => Builtin::True,
            "false" => Builtin::False,
            "touch" if !paths(args).is_empty() => Builtin::Touch(paths(args)),
            "mkdir" if !paths(args).is_empty() => Builtin::Mkdir(paths(args)),
            "rm" if !paths(args).is_empty() => {
                Builtin::Rm { force: args.iter().any(|a| a.starts_with('-') && a.contains('f')), paths: paths(args) }
            }
            "echo" => {
                // A log line is a line: `-n` changes nothing kubesim shows.
                let rest = if args.first().is_some_and(|f| f == "-n") { &args[1..] } else { args };
                Builtin::Echo(rest.join(" "))
            }
            "cat" if !paths(args).is_empty() => Builtin::Cat(paths(args)),
            "ls" => Builtin::Ls(paths(args)),
            "test" | "[" => {
                let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
                if name == "[" {
                    if a.last() != Some(&"]") {
                        return Err("[: missing `]`".into());
                    }
                    a.pop();
                }
                let negate = a.first() == Some(&"!");
                if negate {
                    a.remove(0);
                }
                match a.as_slice() {
                    ["-e" | "-f" | "-d", p] => Builtin::Test { negate, path: p.to_string() },
                    _ => return Err(format!("{}: only -e, -f and -d on a path are modelled", name)),
                }
            }
            "date" => match args {
                [] => Builtin::Date { epoch_seconds: false },
                [f] if f == "+%s" => Builtin::Date { epoch_seconds: true },
                _ => return Err("date: only `date` and `date +%s` are modelled".into()),
            },
            "hostname" if args.is_empty() => Builtin::Hostname,
            "env" | "printenv" if args.is_empty() => Builtin::Env,
            _ => return Err(format!("`{}` is not a command the simulated shell knows", words.join(" "))),
        };
        self.emit(Instr::Run(b, r));
        Ok(())
    }
}

/// `/bin/sleep` → `sleep`: the commands live in the usual directories.
fn command_name(w: &str) -> &str {
    for dir in ["/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/", "/usr/local/bin/"] {
        if let Some(rest) = w.strip_prefix(dir) {
            return rest;
        }
    }
    w
}

/// `sleep 30`, `sleep 1.5`, `sleep 2m 30s`, `sleep infinity` (busybox and
/// coreutils accept the suffixes s, m, h, d and add up several numbers).
fn sleep_duration(args: &[String]) -> Result<Option<SimDuration>, String> {
    if args.is_empty() {
        return Err("sleep: missing operand".into());
    }
    let mut total: u64 = 0;
    for a in args {
        if a == "infinity" || a == "inf" {
            return Ok(None);
        }
        let (num, unit) = match a.char_indices().last() {
            Some((i, c @ ('s' | 'm' | 'h' | 'd'))) => (&a[..i], c),
            _ => (a.as_str(), 's'),
        };
        let scale: u64 = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => 86_400,
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        let valid = !(int.is_empty() && frac.is_empty())
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= 9
            && int.len() <= 12;
        if !valid {
            return Err(format!("sleep: invalid time interval '{}'", a));
        }
        let whole: u64 = if int.is_empty() { 0 } else { int.parse().unwrap_or(0) };
        let nanos: u64 =
            if frac.is_empty() { 0 } else { frac.parse::<u64>().unwrap_or(0) * 10u64.pow(9 - frac.len() as u32) };
        total = total.saturating_add((whole * 1_000_000_000 + nanos).saturating_mul(scale));
    }
    Ok(Some(SimDuration(total)))
}

/// Whether some path through `code` sleeps (a loop without one spins).
fn sleeps(code: &[Instr]) -> bool {
    code.iter().any(|i| match i {
        Instr::Sleep(_) => true,
        Instr::Call(p) => sleeps(&p.code),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime(secs * 1_000_000_000)
    }

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    /// Runs a script to its end (or `limit` yields), sleeping in virtual
    /// time: what it printed, the files left and how it ended.
    fn run(argv: &[String], limit: usize) -> (Vec<(SimTime, String)>, BTreeSet<String>, Vec<Yield>) {
        let prog = Rc::new(parse_argv(argv).expect("parses"));
        let mut r = Run::new(prog, "pod-1".into());
        let mut files = BTreeSet::new();
        let mut out = Vec::new();
        let mut ys = Vec::new();
        let mut now = SimTime::ZERO;
        for _ in 0..limit {
            let mut h = Host::new(&mut files, now, true);
            let y = r.resume(&mut h);
            out.extend(h.out);
            ys.push(y);
            match y {
                Yield::Sleep(d) => now += d,
                _ => break,
            }
        }
        (out, files, ys)
    }

    #[test]
    fn exit_codes_and_sequences() {
        assert_eq!(run(&sh("exit 1"), 5).2, vec![Yield::Exit(1)]);
        assert_eq!(run(&sh("false"), 5).2, vec![Yield::Exit(1)]);
        assert_eq!(run(&sh("true; false; true"), 5).2, vec![Yield::Exit(0)]);
        assert_eq!(run(&sh("false && exit 3"), 5).2, vec![Yield::Exit(1)]);
        assert_eq!(run(&sh("false || exit 3"), 5).2, vec![Yield::Exit(3)]);
        assert_eq!(run(&sh("true && false || exit 4"), 5).2, vec![Yield::Exit(4)]);
        assert_eq!(run(&sh("! true"), 5).2, vec![Yield::Exit(1)]);
        assert_eq!(run(&sh("exit 256"), 5).2, vec![Yield::Exit(0)], "exit codes are modulo 256");
        assert_eq!(run(&sh("exit -1"), 5).2, vec![Yield::Exit(255)]);
        // `exit` in a subshell ends only the subshell.
        assert_eq!(run(&sh("(exit 3); exit"), 5).2, vec![Yield::Exit(3)]);
        assert_eq!(run(&sh("sh -c 'exit 2' || exit 5"), 5).2, vec![Yield::Exit(5)]);
    }

    #[test]
    fn the_exec_liveness_example() {
        let (_, files, ys) = run(&sh("touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"), 5);
        let d = SimDuration::from_secs;
        assert_eq!(ys, vec![Yield::Sleep(d(30)), Yield::Sleep(d(600)), Yield::Exit(0)]);
        assert!(files.is_empty());
        // Between the two sleeps the file is there.
        let prog = Rc::new(parse_argv(&sh("touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600")).unwrap());
        let mut r = Run::new(prog, "p".into());
        let mut files = BTreeSet::new();
        let mut h = Host::new(&mut files, SimTime::ZERO, false);
        assert_eq!(r.resume(&mut h), Yield::Sleep(d(30)));
        assert!(h.changed);
        assert!(files.contains("/tmp/healthy"));
    }

    #[test]
    fn loops_sleep_once_per_iteration_and_echo_to_the_log() {
        let (out, _, ys) = run(&sh("while true; do echo hello; sleep 10; done"), 4);
        assert_eq!(ys, vec![Yield::Sleep(SimDuration::from_secs(10)); 4]);
        let lines: Vec<_> = out.iter().map(|(t, l)| (t.0 / 1_000_000_000, l.as_str())).collect();
        assert_eq!(lines, vec![(0, "hello"), (10, "hello"), (20, "hello"), (30, "hello")]);
        let (out, _, _) = run(&sh("while true; do date; sleep 5; done"), 2);
        assert_eq!(out[1].1, "Thu Jan  1 00:00:05 UTC 1970");
        // until, if/elif/else
        let (out, _, ys) = run(&sh("until test -e /x; do touch /x; sleep 1; done; if [ -f /y ]; then echo y; elif [ -e /x ]; then echo x; else echo none; fi"), 5);
        assert_eq!(out.last().unwrap().1, "x");
        assert_eq!(ys.last(), Some(&Yield::Exit(0)));
    }

    #[test]
    fn files_redirections_and_cat() {
        let (out, files, _) = run(&sh("mkdir -p /data; echo hi > /data/f; echo there >> /data/f; cat /data/f; cat /nope 2>/dev/null || echo missing; hostname; env"), 3);
        let text: Vec<&str> = out.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(text[..4], ["hi", "there", "missing", "pod-1"]);
        assert!(text.contains(&"HOSTNAME=pod-1"));
        assert!(files.contains("/data") && files.contains("/data/f"));
        let (out, _, _) = run(&sh("rm /gone"), 2);
        assert_eq!(out[0].1, "rm: cannot remove '/gone': No such file or directory");
    }

    #[test]
    fn unknown_commands_and_spinning_loops_do_not_parse() {
        for bad in [
            vec!["node".to_string(), "app.js".to_string()],
            sh("nginx -g 'daemon off;'"),
            sh("echo $HOME"),
            sh("cat /x | grep y"),
            sh("sleep 5 &"),
            sh("while true; do echo busy; done"),
            sh("if true; then echo"),
            vec!["sh".into()],
        ] {
            assert!(parse_argv(&bad).is_err(), "{:?} should not parse", bad);
        }
        assert!(parse_argv(&sh("while true; do echo tick; sleep 1; done")).is_ok());
        assert!(parse_argv(&["/bin/sleep".into(), "3600".into()]).is_ok());
    }

    #[test]
    fn a_loop_that_never_reaches_its_sleep_is_caught() {
        let (_, _, ys) = run(&sh("while true; do test -e /never && sleep 1; done"), 2);
        assert_eq!(ys, vec![Yield::Spin]);
        assert_eq!(run(&sh("sleep infinity"), 2).2, vec![Yield::Forever]);
    }

    #[test]
    fn sigterm_waits_for_the_foreground_sleep_and_needs_a_trap() {
        let start = |script: &str| {
            let mut r = Run::new(Rc::new(parse_argv(&sh(script)).unwrap()), "p".into());
            let mut files = BTreeSet::new();
            let mut h = Host::new(&mut files, SimTime::ZERO, false);
            r.resume(&mut h);
            r
        };
        let mut files = BTreeSet::new();
        let mut h = Host::new(&mut files, s(0), false);
        // PID 1 without a trap ignores SIGTERM.
        assert_eq!(start("while true; do sleep 1; done").sigterm(s(0), s(30), &mut h), None);
        // With one, the handler runs when `sleep 1` ends.
        let r = start("trap 'exit 0' TERM; while true; do sleep 1; done");
        assert_eq!(r.sigterm(SimTime(500_000_000), s(30), &mut h), Some((s(1), 0)));
        // A foreground `sleep 600` outlasts the grace: SIGKILL.
        assert_eq!(start("trap 'exit 0' TERM; sleep 600").sigterm(s(0), s(30), &mut h), None);
        // A handler that does not exit: the script goes on.
        let r = start("trap 'echo bye' TERM; sleep 5; exit 7");
        assert_eq!(r.sigterm(s(1), s(30), &mut h), Some((s(5), 7)));
    }

    #[test]
    fn command_and_args_combine_as_kubernetes_does() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (ic, ia) = (v(&["/ep"]), v(&["default"]));
        assert_eq!(argv(&[], &[], &ic, &ia), v(&["/ep", "default"]));
        assert_eq!(argv(&v(&["cmd"]), &[], &ic, &ia), v(&["cmd"]));
        assert_eq!(argv(&[], &v(&["a"]), &ic, &ia), v(&["/ep", "a"]));
        assert_eq!(argv(&v(&["cmd"]), &v(&["a"]), &ic, &ia), v(&["cmd", "a"]));
    }

    #[test]
    fn date_formats_like_date() {
        assert_eq!(date(s(5)), "Thu Jan  1 00:00:05 UTC 1970");
        assert_eq!(date(s(86_400 * 59 + 3661)), "Sun Mar  1 01:01:01 UTC 1970");
        assert_eq!(date(s(1_000_000_000)), "Sun Sep  9 01:46:40 UTC 2001");
    }
}
