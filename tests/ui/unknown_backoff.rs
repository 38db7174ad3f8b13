#[backstop::retry(backoff = exponentail(100ms))]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(backoff = fibonacci(100ms))]
fn far() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(backoff = linear(1s, factor = 2))]
fn wrong_parameter() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(backoff = constant())]
fn missing_delay() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
    far().unwrap();
    wrong_parameter().unwrap();
    missing_delay().unwrap();
}
