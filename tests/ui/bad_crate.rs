#[backstop::retry(crate = Self::X)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(crate = "backstop")]
fn quoted() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
    quoted().unwrap();
}
