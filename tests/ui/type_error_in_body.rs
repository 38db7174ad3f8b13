#[backstop::retry]
fn fetch() -> std::io::Result<u32> {
    Ok("not a number")
}

fn main() {
    fetch().unwrap();
}
