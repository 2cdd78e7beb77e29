//! The `mfa-cutover` binary: everything lives in the library, so tests use the same code.

fn main() -> std::process::ExitCode {
    mfa_cutover::cli::main()
}
