// A build script makes cargo resolve this crate's [build-dependencies], which
// unify the features of dependencies built for the host (proc macros, build scripts).
fn main() {}
