//! The `mfa-cutover` binary.

fn main() {
    println!("mfa-cutover: under construction");
}
