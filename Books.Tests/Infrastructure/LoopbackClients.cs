using System.Net.Sockets;

namespace Books.Tests.Infrastructure;

/// <summary>HTTP clients that connect from a chosen loopback address, so a books-api on Kestrel sees distinct callers.</summary>
public static class LoopbackClients
{
    /// <summary>A client whose connections come from <paramref name="local"/> (any 127.x address is loopback).</summary>
    public static HttpClient From(IPAddress local, int port, string? token = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }

        return client;
    }
}
