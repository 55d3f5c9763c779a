mod test_core;
