package load
import ("testing";"time";"net/http";"net/http/httptest";"context")
func TestZZLag(t *testing.T){
 srv:=httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,r *http.Request){ select{case <-time.After(3*time.Second):case <-r.Context().Done():} }))
 defer srv.Close()
 sched:=mustSchedule(t, StageSpan{Name:"s",Duration:8*time.Second,Segments:[]Segment{{8*time.Second,220,220}}})
 tr:=targeter(t, Request{Name:"a",Weight:1,Method:"POST",URL:srv.URL,Body:"x"})
 out,err:=NewEngine(Options{Schedule:sched,Targeter:tr,Timeout:4*time.Second,MaxInFlight:10000,KeepAlive:true}).Run(context.Background())
 if err!=nil{t.Fatal(err)}
 st:=out.Stages[0]; t.Logf("req %d delayed %d lat p50 %.0f svc p50 %.0f max %.0f", st.Requests, st.Delayed, st.LatencyMs.P50, st.ServiceLatencyMs.P50, st.LatencyMs.Max)
}
