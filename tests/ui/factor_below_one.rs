#[backstop::retry(backoff = exponential(100ms, factor = 0.5))]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}
