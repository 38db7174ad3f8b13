#[backstop::retry]
fn nothing() {}

#[backstop::retry]
fn option() -> Option<u32> {
    None
}

#[backstop::retry]
fn tuple() -> (u32, u32) {
    (1, 2)
}

type Count = std::num::NonZeroU32;

#[backstop::retry]
fn alias() -> Count {
    Count::MIN
}

#[backstop::retry]
fn number() -> u32 {
    1
}

fn main() {
    nothing();
    option();
    tuple();
    alias();
    number();
}
