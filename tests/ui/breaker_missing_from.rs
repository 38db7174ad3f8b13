#[derive(Debug)]
enum Error {
    Down,
}

impl backstop::Retryable for Error {
    fn classify(&self) -> backstop::Classification {
        backstop::Classification::Transient
    }
}

#[backstop::circuit_breaker]
fn fetch() -> Result<(), Error> {
    Err(Error::Down)
}

fn main() {
    let _ = fetch();
}
