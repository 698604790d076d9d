using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Books.Api.Books;
using Books.Api.Http;
using Books.Settings;
using Microsoft.Extensions.Options;
using Books.Api.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;

namespace Books.Tests.Unit;

/// <summary>
/// Each way the driver says "MongoDB cannot be reached right now" is a 503 with Retry-After (RFC 9110 15.6.4:
/// the server is temporarily unable to handle the request; 10.2.3: Retry-After says how long to wait), and the
/// time limit running out (maxTimeMS, error 50) is a 503 that says so. The retryable codes and the
/// RetryableWriteError label are those of the MongoDB retryable-writes specification; anything else is not ours to
/// answer and is left to the 500 handler.
/// </summary>
public sealed class UnavailableExceptionHandlerTests
{
    private static readonly ConnectionId s_connection = new(new ServerId(new ClusterId(), new DnsEndPoint("db", 27017)));

    public static TheoryData<string, Exception, string?> Exceptions => new()
    {
        { "server selection gave up", new TimeoutException("A timeout occurred after 5000ms selecting a server."), "Database unavailable" },
        { "connection failed", new MongoConnectionException(s_connection, "An exception occurred while opening a connection."), "Database unavailable" },
        { "pool paused after a failure", new MongoConnectionPoolPausedException("The connection pool is in paused state."), "Database unavailable" },
        { "not primary", new MongoNotPrimaryException(s_connection, new BsonDocument("ping", 1), Error(10107, "NotWritablePrimary")), "Database unavailable" },
        { "node recovering", new MongoNodeIsRecoveringException(s_connection, new BsonDocument("ping", 1), Error(11600, "InterruptedAtShutdown")), "Database unavailable" },
        { "labelled RetryableWriteError", Labelled(new MongoCommandException(s_connection, "failed", new BsonDocument("insert", "books"), Error(2, "BadValue"))), "Database unavailable" },
        { "retryable code, command", new MongoCommandException(s_connection, "failed", new BsonDocument("find", "books"), Error(91, "ShutdownInProgress")), "Database unavailable" },
        { "retryable write-concern error", WriteConcern(189, "PrimarySteppedDown"), "Database unavailable" },
        { "socket error inside a driver exception", new MongoClientException("failed", new SocketException((int)SocketError.ConnectionReset)), "Database unavailable" },
        { "I/O error inside a driver exception", new MongoClientException("failed", new IOException("Unable to read data from the transport connection.")), "Database unavailable" },
        { "network error wrapped in another type", new InvalidOperationException("wrapped", new MongoConnectionException(s_connection, "dropped")), "Database unavailable" },
        { "network error in an aggregate", new AggregateException(new MongoConnectionPoolPausedException("paused")), "Database unavailable" },
        { "time limit (error 50)", new MongoExecutionTimeoutException(s_connection, "operation exceeded time limit", Error(50, "MaxTimeMSExpired")), "Query took too long" },
        // MongoDB 8.2's ingress rate limiters and Atlas's load shedding (SystemOverloadedError; RetryableError when it
        // ran nothing), once the driver's backpressure retries are spent; the pool's wait queue full.
        { "ingress request rate limit (462)", Labelled(Command(462, "IngressRequestRateLimitExceeded"), "SystemOverloadedError", "RetryableError"), "Database overloaded" },
        { "ingress operation rate limit (463)", Labelled(Command(463, "IngressOperationRateLimitExceeded"), "SystemOverloadedError", "RetryableError", "NoWritesPerformed"), "Database overloaded" },
        { "overloaded, not said to be retryable", Labelled(Command(462, "IngressRequestRateLimitExceeded"), "SystemOverloadedError"), "Database overloaded" },
        { "labelled RetryableError only", Labelled(Command(2, "BadValue"), "RetryableError"), "Database overloaded" },
        { "wait queue full", new MongoWaitQueueFullException("The wait queue for acquiring a connection to server db:27017 is full."), "Database overloaded" },
        // MongoDB manual, write concern: wtimeout ran out (64); the write was applied and is not undone.
        { "write concern timed out (64)", WriteConcern(64, "WriteConcernFailed"), "Write not confirmed" },
        { "write concern timed out, wrapped", new InvalidOperationException("wrapped", WriteConcern(64, "WriteConcernFailed")), "Write not confirmed" },
        { "identity provider unreachable", new IdentityProviderUnavailableException(new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused))), "Identity provider unavailable" },

        // Not an outage: the request or the code is at fault, and retrying would not help.
        { "non-retryable write concern (unsatisfiable)", WriteConcern(100, "UnsatisfiableWriteConcern"), null },
        { "non-retryable command error", new MongoCommandException(s_connection, "failed", new BsonDocument("find", "books"), Error(2, "BadValue")), null },
        { "I/O error outside the driver", new IOException("disk full"), null },
        { "a bug", new InvalidOperationException("a bug"), null },
    };

    [Theory]
    [MemberData(nameof(Exceptions))]
    public async Task Outages_are_503_with_retry_after_and_nothing_else_is_answered(string what, Exception exception, string? title)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var handler = new UnavailableExceptionHandler(
            services.GetRequiredService<IProblemDetailsService>(), new BookQueryLimits(Options.Create(new QueryLimitSettings())), NullLogger<UnavailableExceptionHandler>.Instance);

        var handled = await handler.TryHandleAsync(context, exception, TestContext.Current.CancellationToken);

        Assert.True(handled == title is not null, what);
        if (title is not null)
        {
            Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
            Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
            context.Response.Body.Position = 0;
            var problem = await JsonSerializer.DeserializeAsync<JsonElement>(context.Response.Body, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(title, problem.GetProperty("title").GetString());
        }
    }

    private static BsonDocument Error(int code, string name) => new() { { "ok", 0 }, { "code", code }, { "codeName", name }, { "errmsg", name } };

    private static MongoException Labelled(MongoException exception, params string[] labels)
    {
        foreach (var label in labels is [] ? ["RetryableWriteError"] : labels)
        {
            exception.AddErrorLabel(label);
        }

        return exception;
    }

    private static MongoCommandException Command(int code, string name) =>
        new(s_connection, name, new BsonDocument("find", "books"), Error(code, name));

    private static MongoWriteConcernException WriteConcern(int code, string name) =>
        new(s_connection, "write concern error", new WriteConcernResult(new BsonDocument
        {
            { "ok", 1 }, { "n", 1 }, { "writeConcernError", new BsonDocument { { "code", code }, { "codeName", name }, { "errmsg", name } } },
        }));
}
