/* An executable, not a library. */
int main(void) { return 0; }
