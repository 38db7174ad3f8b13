#[derive(Debug)]
struct Error;

impl From<backstop::CircuitOpen> for Error {
    fn from(_: backstop::CircuitOpen) -> Self {
        Error
    }
}

impl backstop::Retryable for Error {
    fn classify(&self) -> backstop::Classification {
        backstop::Classification::Transient
    }
}

#[backstop::circuit_breaker(failure_rat = 0.5)]
fn misspelt() -> Result<(), Error> {
    Ok(())
}

#[backstop::circuit_breaker(open_for = 1s, open_for = 2s)]
fn repeated() -> Result<(), Error> {
    Ok(())
}

#[backstop::circuit_breaker(name = "")]
fn unnamed() -> Result<(), Error> {
    Ok(())
}

fn main() {
    misspelt().unwrap();
    repeated().unwrap();
    unnamed().unwrap();
}
