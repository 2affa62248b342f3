using Shears.Domain.Persistence;

namespace Shears.Domain.Tests.Persistence;

/// <summary>Holds on stored content within one process: uploads share them, a deletion needs the content to itself.</summary>
public class InProcessBlobHoldsTests
{
    private const string Content = "2673da982500bea4deff96f8e493eca113d3710941896cef2859f531248d48c8";

    [Fact]
    public async Task A_held_file_is_not_deleted_until_every_hold_on_it_ends()
    {
        var holds = new InProcessBlobHolds();
        var first = await holds.HoldAsync(Content, CancellationToken.None);
        var second = await holds.HoldAsync(Content, CancellationToken.None);
        var deleted = 0;
        Task Delete(CancellationToken _) => Task.FromResult(++deleted);

        Assert.False(await holds.TryAloneAsync(Content, Delete, CancellationToken.None));
        await first.DisposeAsync();
        await first.DisposeAsync(); // twice is once
        Assert.False(await holds.TryAloneAsync(Content, Delete, CancellationToken.None));
        await second.DisposeAsync();
        Assert.True(await holds.TryAloneAsync(Content, Delete, CancellationToken.None));
        Assert.Equal(1, deleted);
    }

    [Fact]
    public async Task A_hold_asked_for_while_a_deletion_runs_waits_for_it_to_end()
    {
        var holds = new InProcessBlobHolds();
        var deleting = new TaskCompletionSource();
        var finish = new TaskCompletionSource();
        var deletion = holds.TryAloneAsync(Content, async _ =>
        {
            deleting.SetResult();
            await finish.Task;
        }, CancellationToken.None);
        await deleting.Task;

        var hold = holds.HoldAsync(Content, CancellationToken.None);
        await Task.Delay(100);
        Assert.False(hold.IsCompleted);
        Assert.False(await holds.TryAloneAsync(Content, _ => Task.CompletedTask, CancellationToken.None));

        finish.SetResult();
        Assert.True(await deletion);
        await using var held = await hold.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(await holds.TryAloneAsync(Content, _ => Task.CompletedTask, CancellationToken.None));
    }
}
