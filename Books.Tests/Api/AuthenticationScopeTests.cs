using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Books.Tests.Api;

/// <summary>Reads are anonymous, so they skip the bearer handler; writes still run it.</summary>
[Collection(MongodStandInCollection.Name)]
public sealed class AuthenticationScopeTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Only_writes_run_the_bearer_handler()
    {
        var handled = 0;
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), services =>
            services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
                options.Events = new JwtBearerEvents
                {
                    OnMessageReceived = _ =>
                    {
                        Interlocked.Increment(ref handled);
                        return Task.CompletedTask;
                    },
                }));
        using var client = api.CreateWriterClient(); // sends its token with every request, reads included

        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        Assert.Equal(1, Volatile.Read(ref handled));

        foreach (var path in new[] { $"/api/books/{book.Id()}", "/api/books?limit=5", "/health" })
        {
            using var response = await client.GetAsync(path, Cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, Volatile.Read(ref handled));
    }
}
