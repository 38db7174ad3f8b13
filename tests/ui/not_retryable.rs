#[derive(Debug)]
struct Opaque;

#[backstop::retry]
fn fetch() -> Result<(), Opaque> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}
