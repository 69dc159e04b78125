//! The `kubesim` binary: the command line with the built-in components.
//! A user's own binary calls `kubesim::cli::main_with_fn` (or `main_with`) with its registry.

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() -> std::process::ExitCode {
    kubesim::cli::main_with_fn(kubesim::component::Registry::new)
}
