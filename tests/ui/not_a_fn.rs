#[backstop::retry(attempts = 2)]
struct Client;

fn main() {
    let _ = Client;
}
