#[backstop::retry(max_elapsed = 5sec)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(backoff = constant(250))]
fn unitless() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(max_retry_after = "5mss")]
fn quoted() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
    unitless().unwrap();
    quoted().unwrap();
}
