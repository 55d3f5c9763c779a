mod test_core;
mod test_items;
