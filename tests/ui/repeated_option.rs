#[backstop::retry(attempts = 3, jitter = none, attempts = 5)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}
