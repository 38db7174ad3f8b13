#[backstop::retry(attempts = 0)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(attempts = 5000000000)]
fn huge() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(attempts = "three")]
fn text() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
    huge().unwrap();
    text().unwrap();
}
