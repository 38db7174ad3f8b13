struct Connection;

#[backstop::retry]
fn send(connection: Connection, payload: &[u8]) -> std::io::Result<usize> {
    let _ = connection;
    Ok(payload.len())
}

fn main() {
    send(Connection, b"hi").unwrap();
}
