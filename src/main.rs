//! The `kubesim` binary: the command line with the built-in components.
//! A user's own binary calls `kubesim::cli::main_with` with its registry.

fn main() -> std::process::ExitCode {
    kubesim::cli::main_with(kubesim::component::Registry::new())
}
