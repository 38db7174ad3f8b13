#[derive(Debug, backstop::Retryable)]
enum Error {
    #[retryable(transient)]
    Busy,
    Invalid,
}

fn main() {
    let _ = Error::Busy;
    let _ = Error::Invalid;
}
