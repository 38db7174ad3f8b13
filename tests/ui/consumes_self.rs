struct Request;

impl Request {
    #[backstop::retry]
    fn send(self) -> std::io::Result<Request> {
        Ok(self)
    }
}

fn main() {
    Request.send().unwrap();
}
