/*
 * mailgate-analyse - the sandboxed parser program mailgated and
 * mailgatectl check-message start for each message; see include/worker.h.
 * It is started by them only: it reads the message from fd 0 and answers
 * there, and holds no secret.
 */
#include "mime.h"
#include "worker.h"

int
main(int argc, char **argv)
{
	return worker_child_main(argc, argv, mime_analyse);
}
