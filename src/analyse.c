/*
 * mailgate-analyse - the parser program mailgated and mailgatectl
 * check-message start once: a zygote that forks a sandboxed child for each
 * message; see include/worker.h. It is started by them only, speaks on
 * fd 0 (each child on a socket of its own), and holds no secret.
 */
#include "mime.h"
#include "worker.h"

int
main(int argc, char **argv)
{
	return worker_child_main(argc, argv, mime_analyse);
}
