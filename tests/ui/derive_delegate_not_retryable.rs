#[derive(Debug, backstop::Retryable)]
enum Error {
    #[retryable(delegate)]
    Parse(std::num::ParseIntError),
}

fn main() {
    let _ = Error::Parse("x".parse::<u8>().unwrap_err());
}
