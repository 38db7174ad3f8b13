#[backstop::retry(timeout = 1s)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}
