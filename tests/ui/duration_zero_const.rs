use std::time::Duration;

const NO_TIME: Duration = Duration::ZERO;

#[backstop::retry(timeout = NO_TIME)]
async fn timed() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    drop(timed());
}
