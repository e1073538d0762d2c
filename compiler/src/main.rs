fn main() {
    println!("meshnn: under construction");
}
