#[backstop::retry(backoff = exponential(2s, max = 1s))]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(backoff = linear(500ms, step = 100ms, max = 100ms))]
fn linear() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
    linear().unwrap();
}
