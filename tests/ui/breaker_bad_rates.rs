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

#[backstop::circuit_breaker(failure_rate = 0)]
fn zero() -> Result<(), Error> {
    Ok(())
}

#[backstop::circuit_breaker(failure_rate = 1.5, slow_call = 1s, slow_rate = -0.1)]
fn out_of_range() -> Result<(), Error> {
    Ok(())
}

#[backstop::circuit_breaker(slow_rate = 0.5)]
fn slow_rate_alone() -> Result<(), Error> {
    Ok(())
}

fn main() {
    zero().unwrap();
    out_of_range().unwrap();
    slow_rate_alone().unwrap();
}
