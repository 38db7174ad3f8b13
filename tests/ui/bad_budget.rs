const NOT_A_BUDGET: u32 = 5;

#[backstop::retry(budget = NOT_A_BUDGET)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}
