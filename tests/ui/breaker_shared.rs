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

#[backstop::circuit_breaker(open_for = 5s)]
static PAYMENTS: backstop::BreakerHandle;

// A shared breaker is configured on its static only.
#[backstop::circuit_breaker(breaker = PAYMENTS, open_for = 1s)]
fn charge() -> Result<(), Error> {
    Ok(())
}

fn main() {
    charge().unwrap();
}
