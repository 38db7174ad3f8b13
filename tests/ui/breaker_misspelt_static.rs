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

// A misspelt static is a compile error, not a silent second breaker.
#[backstop::circuit_breaker(breaker = PAYMENT)]
fn refund() -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = &PAYMENTS;
    refund().unwrap();
}
