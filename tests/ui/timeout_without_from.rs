#[derive(Debug)]
enum Error {
    Busy,
}

impl backstop::Retryable for Error {
    fn classify(&self) -> backstop::Classification {
        backstop::Classification::Transient
    }
}

#[backstop::retry(timeout = 1s)]
async fn fetch() -> Result<(), Error> {
    Err(Error::Busy)
}

fn main() {
    drop(fetch());
}
