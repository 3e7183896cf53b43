/* Linked with the whole of one layer's library and the libraries below it only: a call from
 * that layer to a higher one leaves a symbol undefined and the link fails (daemon/meson.build). */
int main(void)
{
	return 0;
}
