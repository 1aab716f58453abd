"""The ceiling of the stack on this machine: a bare Starlette app returning a fixed body, run by uvicorn
exactly as iamd is."""

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = b"<GetUserResponse><GetUserResult/></GetUserResponse>"


async def fixed(request):
    await request.body()
    return Response(BODY, media_type="text/xml")


app = Starlette(routes=[Route("/", fixed, methods=["GET", "POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
