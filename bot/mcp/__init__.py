"""newsbot as an MCP server (stdio, or mounted on the HTTP server at /mcp)."""
