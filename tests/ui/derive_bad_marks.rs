#[derive(Debug, backstop::Retryable)]
#[retryable(default = maybe)]
enum Error {
    #[retryable(transiant)]
    Busy,
    #[retryable(delegate)]
    Two(std::io::Error, u32),
    #[retryable(permanent)]
    #[retryable(transient)]
    Both,
}

#[derive(Debug, backstop::Retryable)]
struct NotAnEnum;

fn main() {
    let _ = (Error::Busy, Error::Two(std::io::ErrorKind::Other.into(), 1), Error::Both);
    let _ = NotAnEnum;
}
