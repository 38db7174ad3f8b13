#![deny(unused_must_use, unused_variables)]

#[backstop::retry]
fn fetch(unused: u32) -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch(1);
}
