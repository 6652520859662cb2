"""Tables, repositories, the payments view, the user-service client and the simulated processor."""
