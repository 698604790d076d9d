using System.Net.Sockets;

namespace Books.Tests.Infrastructure;

/// <summary>
/// A loopback TCP port, bound at once (no port is probed and bound later), that drops every connection
/// while closed and relays it to <c>127.0.0.1:targetPort</c> once opened: a server that is not there yet,
/// or (closed again) one that went away, taking its open connections with it.
/// </summary>
public sealed class GatedTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly int _targetPort;
    private volatile bool _open;
    private CancellationTokenSource _session = new();

    public GatedTcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Open() => _open = true;

    /// <summary>Drops every relayed connection and refuses new ones until opened again.</summary>
    public void Close()
    {
        _open = false;
        var ended = Interlocked.Exchange(ref _session, new CancellationTokenSource());
        ended.Cancel(); // not disposed: the accept loop may be reading its token this moment
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!_open)
            {
                client.Dispose();
                continue;
            }

            _ = RelayAsync(client, _session.Token);
        }
    }

    private async Task RelayAsync(TcpClient client, CancellationToken session)
    {
        using (client)
        using (var target = new TcpClient())
        {
            try
            {
                await target.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                using var both = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, session);
                var up = client.GetStream().CopyToAsync(target.GetStream(), both.Token);
                var down = target.GetStream().CopyToAsync(client.GetStream(), both.Token);
                await Task.WhenAny(up, down);
                await both.CancelAsync();
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // One side went away; dropping both is what a network does.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
        _session.Dispose();
    }
}
