//! `sqlx::migrate!` embeds the migrations when the crate compiles; Cargo does not know it
//! reads them, so a new or changed migration would not rebuild the crate without this.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
