#[backstop::retry(max_elapsed = -5s)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(max_retry_after = "-1m")]
fn quoted() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
    quoted().unwrap();
}
