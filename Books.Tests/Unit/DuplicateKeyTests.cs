using Books.Api.Database;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;

namespace Books.Tests.Unit;

/// <summary>Both shapes of a duplicate key: real MongoDB's write error, and a command error with code 11000.</summary>
public sealed class DuplicateKeyTests
{
    private static readonly ConnectionId s_connection =
        new(new ServerId(new ClusterId(1), new DnsEndPoint("localhost", 27017)), 1);

    private static MongoCommandException CommandError(int code) =>
        new(s_connection, "command failed", new BsonDocument("insert", "books"), new BsonDocument { { "ok", 0 }, { "code", code } });

    // WriteError's constructor is internal; the driver builds it from the server's reply in exactly this shape.
    private static MongoWriteException WriteError(ServerErrorCategory category, int code)
    {
        var constructor = typeof(WriteError).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic).Single();
        var error = (WriteError)constructor.Invoke([category, code, "E11000 duplicate key error", new BsonDocument()]);
        return new MongoWriteException(s_connection, error, writeConcernError: null, innerException: null);
    }

    [Fact]
    public void Write_error_with_duplicate_key_category_is_a_duplicate() =>
        Assert.True(DuplicateKey.Is(WriteError(ServerErrorCategory.DuplicateKey, 11000)));

    [Fact]
    public void Command_error_with_code_11000_is_a_duplicate() =>
        Assert.True(DuplicateKey.Is(CommandError(11000)));

    [Theory]
    [InlineData(11001)]
    [InlineData(2)]
    public void Other_command_errors_are_not(int code) =>
        Assert.False(DuplicateKey.Is(CommandError(code)));

    [Fact]
    public void Other_errors_are_not_duplicate_keys()
    {
        Assert.False(DuplicateKey.Is(WriteError(ServerErrorCategory.Uncategorized, 121)));
        Assert.False(DuplicateKey.Is(new TimeoutException()));
    }
}
