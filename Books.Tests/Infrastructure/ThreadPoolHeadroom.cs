[assembly: AssemblyFixture(typeof(Books.Tests.Infrastructure.ThreadPoolHeadroom))]

namespace Books.Tests.Infrastructure;

/// <summary>
/// Enough thread-pool threads from the start. WebApplicationFactory starts each in-process books-api synchronously
/// (CreateClient blocks a pool thread while the host starts, and a host's start waits on MongoDB and the identity
/// provider, whose answers need pool threads too); with several collections at once, the pool would otherwise grow
/// about one thread a second, and an in-process identity provider could go unanswered for seconds.
/// </summary>
public sealed class ThreadPoolHeadroom
{
    public ThreadPoolHeadroom()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(completionPorts, 64));
    }
}
