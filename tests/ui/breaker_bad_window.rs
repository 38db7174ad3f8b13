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

#[backstop::circuit_breaker(window = count(0))]
fn empty() -> Result<(), Error> {
    Ok(())
}

#[backstop::circuit_breaker(window = count(5), min_calls = 10)]
fn never_opens() -> Result<(), Error> {
    Ok(())
}

#[backstop::circuit_breaker(window = sliding(5))]
fn unknown() -> Result<(), Error> {
    Ok(())
}

#[backstop::circuit_breaker(window = time(0s), open_for = 0ms, half_open_calls = 0)]
fn zeros() -> Result<(), Error> {
    Ok(())
}

fn main() {
    empty().unwrap();
    never_opens().unwrap();
    unknown().unwrap();
    zeros().unwrap();
}
