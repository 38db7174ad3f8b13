#[backstop::retry(timeout = 0ms)]
async fn timed() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(max_elapsed = "0s")]
fn deadline() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(backoff = exponential(0ms))]
fn exponential() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    drop(timed());
    deadline().unwrap();
    exponential().unwrap();
}
