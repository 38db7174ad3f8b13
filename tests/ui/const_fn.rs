#[backstop::retry]
const fn fetch() -> Result<(), std::io::ErrorKind> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}
